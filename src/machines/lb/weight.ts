/**
 * haproxy's server weight range (configuration.txt 5.2 "weight": "The default weight is 1, and
 * the maximal value is 256"); 0 takes no new traffic. The config parser, the health machine's
 * dynamic weights and the balancer all bound weights by this one number.
 */
export const MAX_WEIGHT = 256;
