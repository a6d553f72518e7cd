/**
 * Internal helpers shared by lb4j's packages and modules (argument checks with their limits). Not
 * API: public only so that lb4j's own packages can use them; they may change in any release and are
 * left out of the published javadoc.
 */
package io.lb4j.internal;
