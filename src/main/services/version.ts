/** The product version: a module of its own so the CLI can print it without loading the services. */
export const APP_VERSION = '0.1.0';
