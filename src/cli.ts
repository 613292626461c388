#!/usr/bin/env node
/** `npx portcullis serve api.yaml [--port 3000] [--config options.js]`: an API document served standalone. */

process.stderr.write(
  'usage: portcullis serve <document.yaml|json> [--port 3000] [--config options.js]\n',
);
process.exitCode = 2;
