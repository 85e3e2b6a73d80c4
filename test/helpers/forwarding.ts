/**
 * `target` seen through a Proxy with `overrides` in place of some of its members; every other
 * member is the target's own, methods bound to it (WebGPU objects check `this`). The test
 * wrappers of devices, queues and adapters are made with it.
 */
export function forwarding<T extends object>(target: T, overrides: Readonly<Record<string | symbol, unknown>>): T {
  return new Proxy(target, {
    get(t, key) {
      if (Object.hasOwn(overrides, key)) return overrides[key];
      const value: unknown = Reflect.get(t, key, t);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(t) : value;
    },
  });
}
