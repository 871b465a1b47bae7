/**
 * The engine version stored with every issued document; bump it with any change to a computation,
 * and say in ruleset.ts which behaviour the new version selects (documents issued before keep theirs).
 */
export const ENGINE_VERSION = "0.3.5";
