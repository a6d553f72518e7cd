package io.lb4j.examples;

import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.okhttp.HashKeys;
import io.lb4j.okhttp.Lb4jTag;
import io.lb4j.okhttp.LoadBalancingInterceptor;
import io.lb4j.policy.Policies;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Sticky sessions with {@link HashKeys#sticky}: every request of a user (header {@code X-User-Id})
 * goes to the same instance, and stays there when instances are added, as long as that instance is
 * healthy; the users of an instance that drains move once, to another instance, and stay there.
 * (Plain consistent hashing would move some users when an instance is added.)
 */
public final class StickySessionsExample {

  private StickySessionsExample() {}

  private static final List<String> USERS = List.of("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi");

  /** Runs the example; exits non-zero if a user changed instance when it should not have. */
  public static void main(String[] args) throws Exception {
    try (HttpBackend a = HttpBackend.start("a");
        HttpBackend b = HttpBackend.start("b");
        HttpBackend c = HttpBackend.start("c");
        HttpBackend d = HttpBackend.start("d");
        LoadBalancer carts = LoadBalancer.builder().name("carts")
            .endpoints(List.of(a.endpoint(), b.endpoint(), c.endpoint()))
            .policy(Policies.ringHash())                    // a new user is placed by the hash of the key
            .build()) {
      Map<Endpoint, String> names = Map.of(a.endpoint(), "a", b.endpoint(), "b", c.endpoint(), "c", d.endpoint(), "d");
      OkHttpClient client = new OkHttpClient.Builder()
          .addInterceptor(LoadBalancingInterceptor.builder()
              .service("carts", carts)
              .hashKey(HashKeys.sticky(HashKeys.header("X-User-Id"), Duration.ofMinutes(30)))
              .build())
          .build();

      Map<String, String> first = placeAll(client, names);
      System.out.println("a, b, c; each user's 3 requests went to: " + first);

      carts.updateEndpoints(List.of(a.endpoint(), b.endpoint(), c.endpoint(), d.endpoint()));
      Map<String, String> added = placeAll(client, names);
      System.out.println("d added; users now go to:             " + added);
      Check.that(added.equals(first), "adding d moves no user");

      String drained = first.get(USERS.get(0));
      Endpoint drainedEndpoint = names.entrySet().stream().filter(e -> e.getValue().equals(drained))
          .findFirst().orElseThrow().getKey();
      carts.drain(drainedEndpoint);
      Map<String, String> afterDrain = placeAll(client, names);
      System.out.println(drained + " drained; users now go to:          " + afterDrain);
      for (String user : USERS) {
        boolean wasOnDrained = first.get(user).equals(drained);
        Check.that(wasOnDrained ? !afterDrain.get(user).equals(drained) : afterDrain.get(user).equals(first.get(user)),
            user + " moves only if its instance drained");
      }

      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
    }
  }

  /** Sends 3 requests per user; returns user -> the one instance that answered them all. */
  private static Map<String, String> placeAll(OkHttpClient client, Map<Endpoint, String> names) throws IOException {
    Map<String, String> placement = new TreeMap<>();
    for (String user : USERS) {
      List<String> answered = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Request request = new Request.Builder().url("http://carts/api/cart").header("X-User-Id", user).build();
        try (Response response = client.newCall(request).execute()) {
          Check.that(response.isSuccessful(), "the cart of " + user + " loads");
          answered.add(names.get(response.request().tag(Lb4jTag.class).endpoint()));
        }
      }
      Check.that(answered.stream().distinct().count() == 1, user + "'s requests all go to one instance: " + answered);
      placement.put(user, answered.get(0));
    }
    return placement;
  }
}
