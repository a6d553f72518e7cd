package io.lb4j.examples;

import io.lb4j.LoadBalancer;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import okhttp3.OkHttpClient;
import retrofit2.Call;
import retrofit2.Response;
import retrofit2.Retrofit;
import retrofit2.converter.gson.GsonConverterFactory;
import retrofit2.http.GET;
import retrofit2.http.Path;

/**
 * Retrofit on top of the balanced OkHttp client of {@link OkHttpExample}: the base URL names the
 * service ({@code http://orders/}), and every call of the Retrofit interface goes to a healthy
 * instance, retried elsewhere when one fails. Nothing in the interface knows about lb4j.
 */
public final class RetrofitExample {

  private RetrofitExample() {}

  /** The orders API as Retrofit declares it. */
  public interface OrdersApi {
    /** One order by id. */
    @GET("api/orders/{id}")
    Call<Order> order(@Path("id") String id);
  }

  /**
   * An order as the service returns it in JSON.
   *
   * @param id the order's id
   * @param servedBy which instance answered (the example's backends say so)
   */
  public record Order(String id, String servedBy) {}

  /** Runs the example; exits non-zero if a call failed or came back wrong. */
  public static void main(String[] args) throws Exception {
    try (HttpBackend a = HttpBackend.start("a");
        HttpBackend b = HttpBackend.start("b");
        HttpBackend c = HttpBackend.start("c").broken(true);
        LoadBalancer orders = OkHttpExample.ordersBalancer(List.of(a.endpoint(), b.endpoint(), c.endpoint()))) {
      System.out.println("orders: a, b and c (c answers 500 to everything): " + List.of(a, b, c));
      OkHttpClient client = OkHttpExample.client(orders);
      OrdersApi api = new Retrofit.Builder()
          .baseUrl("http://orders/")                          // the service's name, not an address
          .client(client)
          .addConverterFactory(GsonConverterFactory.create())
          .build()
          .create(OrdersApi.class);

      Map<String, Integer> servedBy = new TreeMap<>();
      for (int i = 0; i < 30; i++) {
        Response<Order> response = api.order("order-" + i).execute();
        Order order = response.body();
        Check.that(response.isSuccessful() && order != null, "call " + i + " succeeds, got HTTP " + response.code());
        Check.that(order.id().equals("order-" + i), "order-" + i + " comes back, got " + order);
        servedBy.merge(order.servedBy(), 1, Integer::sum);
      }
      System.out.println("30 Retrofit calls, all succeeded; answered by " + servedBy + "; "
          + (c.requests() == 0 ? "c got none (its first health check had failed)"
              : "c failed the " + c.requests() + " it received, each retried on a or b, until lb4j took it out"));
      Check.that(!servedBy.containsKey("c") && servedBy.size() == 2, "only a and b answer, both of them");

      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
    }
  }
}
