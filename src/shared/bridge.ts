/** The shape of `window.defimon`, the only thing the preload exposes to the renderer. */
export interface DefimonBridge {
  invoke(method: string, input: unknown): Promise<unknown>;
  onEvent(listener: (name: string, payload: unknown) => void): () => void;
}
