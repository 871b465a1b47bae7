/** The engine version stored with every issued document; bump it with any change to a computation. */
export const ENGINE_VERSION = "0.2.0";
