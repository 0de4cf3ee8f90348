/**
 * The accounts the tests play, named by their part: the same ids as the rules in policies/
 * give them, so a test and the demo's rules agree on who is who.
 */
/** The provider: the local cloud's default account. */
export const PROVIDER = '000000000000';
/** On the allow-list (policies/partners.yaml): accepted. */
export const PARTNER = '111111111111';
/** Also on the allow-list (policies/partners.yaml). */
export const SECOND_PARTNER = '222222222222';
/** In no rule: held for review by the defaults. */
export const STRANGER = '333333333333';
/** Held for review by a test's own review rule. */
export const HELD = '444444444444';
/** On the block list (policies/block-list.yaml): rejected. */
export const BLOCKED = '666666666666';
