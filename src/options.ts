// Options objects, checked the same way at every entry point: an object (undefined counts as
// {}), whose keys are its own and, when the caller lists them, all known ones. A misspelt or
// inherited key is refused with a typed error naming it, not ignored.
import { InvalidArgumentError, describe } from './errors.js';

/**
 * An options object (undefined counts as {}) whose keys are all its own and, when `allowed` is
 * given, all among them: a misspelt key is refused, not ignored.
 */
export function optionsObject(options: unknown, argument = 'options', allowed?: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(argument, 'an options object', describe(options));
  }
  if (allowed) {
    for (const key in options) {
      if (!Object.hasOwn(options, key)) {
        throw new InvalidArgumentError(`${argument}.${key}`, 'an own property (inherited ones are not read)', 'an inherited one');
      }
      if (!allowed.includes(key)) {
        const valid = allowed.length ? `one of ${allowed.map((k) => `'${k}'`).join(', ')}` : 'no options';
        throw new InvalidArgumentError(`${argument}.${key}`, valid, `'${key}'`);
      }
    }
  }
  return options as Record<string, unknown>;
}
