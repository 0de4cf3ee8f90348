/** The member regions and services the fleet unit tests share (plain data). */
export const A = { account: '111111111111', region: 'us-east-1' };
export const B = { account: '222222222222', region: 'eu-west-1' };
export const C = { account: '333333333333', region: 'us-west-2' };
/** A service in A and one in B. */
export const SVC_A = 'vpce-svc-0aaaaaaaaaaaaaaa1';
export const SVC_B = 'vpce-svc-0bbbbbbbbbbbbbbb2';
