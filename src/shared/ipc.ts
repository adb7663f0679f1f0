/** IPC channel names, free of any import so the sandboxed preload can bundle them alone. */
export const IPC_INVOKE_CHANNEL = 'defimon:invoke';
export const IPC_EVENT_CHANNEL = 'defimon:event';
/** Contract method names look like `domain.action`; the preload forwards nothing else. */
export const METHOD_NAME_RE = /^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)+$/;
