/** Where an account sits in AWS Organizations. */
export interface OrganizationPath {
  organizationId: string;
  /** Every OU from the root down to the account's parent (ids `ou-…`). */
  ouIds: string[];
}

/**
 * What the engine cannot read from the connection itself. Absent data makes the
 * conditions that need it undetermined, never false.
 */
export interface EvaluationContext {
  now: Date;
  /** The consumer account's organization path; undefined when unknown or the lookup failed. */
  organization?: OrganizationPath;
  /**
   * Endpoints of the connection's account on its service that are already accepted
   * (pending or available), this connection not counted. Undefined when unknown.
   * An accept rule's `maxEndpointsPerAccount` is reached when this is >= the limit.
   */
  liveEndpoints?: number;
  /**
   * The endpoint service's own region (where the gate runs), when the connection does not
   * carry it (`Connection.serviceRegion`, which a fleet's connections do). EC2 omits VpcEndpointRegion
   * on same-region connections in some responses; then the consumer is in this region.
   * When both are unknown, a `regions` condition is undetermined.
   */
  serviceRegion?: string;
  /** The endpoint service's account (the gate's own, for a stack of one), when the connection does not carry it. */
  serviceAccount?: string;
}
