/**
 * Network reads of response data handed to geopat on this thread so far. The load client's
 * self-check weights its read-lateness probe by them: reads come in bursts, and the lateness that
 * matters is the one the reads meet, not the one of an evenly spaced probe.
 */
export const responseReads = { count: 0 }
