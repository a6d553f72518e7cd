package io.lb4j.zookeeper;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.ServiceType;
import org.apache.curator.x.discovery.details.InstanceSerializer;
import org.apache.curator.x.discovery.details.JsonInstanceSerializer;

/**
 * Reads Curator registrations as plain JSON, whatever class wrote the payload. Curator's own
 * {@link JsonInstanceSerializer} records the payload's class name ({@code "@class"}) and needs that
 * class on the reader's classpath; this reader drops the class name and keeps the payload as a map,
 * so lb4j can read registrations from any writer (its own {@link EndpointPayload}, a plain map,
 * Spring Cloud Zookeeper's instance type). Thread-safe.
 */
final class PayloadReader implements InstanceSerializer<Map<String, Object>> {

  private final ObjectMapper mapper = new ObjectMapper();
  @SuppressWarnings({"unchecked", "rawtypes"})
  private final InstanceSerializer<Map<String, Object>> writer = new JsonInstanceSerializer(Map.class);

  @Override
  public ServiceInstance<Map<String, Object>> deserialize(byte[] bytes) throws Exception {
    JsonNode root = mapper.readTree(bytes);
    Map<String, Object> payload = Map.of();
    JsonNode p = root.path("payload");
    if (p.isObject()) {
      ObjectNode copy = ((ObjectNode) p).deepCopy();
      copy.remove("@class");
      @SuppressWarnings("unchecked")
      Map<String, Object> map = mapper.convertValue(copy, LinkedHashMap.class);
      payload = map;
    }
    ServiceType type = ServiceType.DYNAMIC;
    if (root.hasNonNull("serviceType")) {
      try {
        type = ServiceType.valueOf(root.get("serviceType").asText());
      } catch (IllegalArgumentException unknown) {
        // a newer writer's type: the endpoint is still usable
      }
    }
    return new ServiceInstance<>(
        text(root, "name"), text(root, "id"), text(root, "address"),
        integer(root, "port"), integer(root, "sslPort"), payload,
        root.path("registrationTimeUTC").asLong(0), type, null,
        !root.has("enabled") || root.get("enabled").asBoolean(true));
  }

  @Override
  public byte[] serialize(ServiceInstance<Map<String, Object>> instance) throws Exception {
    return writer.serialize(instance);
  }

  private static String text(JsonNode root, String field) {
    JsonNode n = root.get(field);
    return n == null || n.isNull() ? null : n.asText();
  }

  private static Integer integer(JsonNode root, String field) {
    JsonNode n = root.get(field);
    return n == null || !n.canConvertToInt() ? null : n.asInt();
  }
}
