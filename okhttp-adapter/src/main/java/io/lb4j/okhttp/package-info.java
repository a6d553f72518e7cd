/**
 * lb4j for OkHttp 5. A {@link io.lb4j.okhttp.LoadBalancingInterceptor} sends each request whose
 * host names a registered service ({@code http://orders/...}) to an endpoint its balancer picks,
 * reports the outcome and latency, and retries by a {@link io.lb4j.okhttp.RetryPolicy} (idempotent
 * requests only by default, another endpoint each time, bounded by a {@link io.lb4j.okhttp.RetryBudget}).
 * {@link io.lb4j.okhttp.HashKeys} takes the key for ring hash and Maglev from a header, cookie,
 * query parameter or the path, optionally sticky; {@link io.lb4j.okhttp.HttpHealthProbe} is an
 * HTTP active health check. Requests to other hosts pass through untouched.
 */
package io.lb4j.okhttp;
