import { resolve } from 'node:path';
import { Application, Logger, LogLevel, TSConfigReader, TypeDocReader } from 'typedoc';
import { describe, expect, it } from 'vitest';

// The API reference (`npm run docs:api`: TypeDoc over src/index.ts, configured by typedoc.json)
// must build without a warning: every export and its members documented, every {@link} resolved,
// every type the API names exported (or listed in intentionallyNotExported). This runs the same
// conversion and validation as the CLI, through TypeDoc's Node API, and writes nothing.
const root = resolve(import.meta.dirname, '../..');

/** Keeps TypeDoc's warnings and errors to report them, instead of printing them. */
class CollectingLogger extends Logger {
  readonly messages: string[] = [];

  override log(message: string, level: LogLevel): void {
    super.log(message, level); // counts errors and warnings
    if (level >= LogLevel.Warn) this.messages.push(`${level === LogLevel.Error ? 'error' : 'warning'}: ${message}`);
  }
}

describe('the API reference', () => {
  it('builds from the doc comments with no warning', async () => {
    const app = await Application.bootstrapWithPlugins({ options: resolve(root, 'typedoc.json') }, [
      new TypeDocReader(),
      new TSConfigReader(),
    ]);
    // Warnings while reading the options went to the console logger.
    expect(app.logger.errorCount + app.logger.warningCount, 'typedoc.json: see the messages above').toBe(0);
    const logger = new CollectingLogger();
    app.logger = logger;

    const project = await app.convert();
    expect(project, logger.messages.join('\n')).toBeDefined();
    app.validate(project!);
    expect(logger.messages, 'TypeDoc warnings: fix the doc comments (or exports) in src/').toEqual([]);
    expect(logger.hasErrors() || logger.hasWarnings()).toBe(false);
  });
});
