/** The time the gate's handlers decide at: the system clock. */
export function gateNow(): Date {
  return new Date();
}
