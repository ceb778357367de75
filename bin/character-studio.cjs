#!/usr/bin/env node
'use strict';
const path = require('node:path');
const fs = require('node:fs');

const { pathToFileURL } = require('node:url');

const entry = path.join(__dirname, '..', 'dist', 'main', 'cli.mjs');
if (!fs.existsSync(entry)) {
  process.stderr.write(
    'Character Studio is not built yet. Run `npm run build` in ' + path.join(__dirname, '..') + ' first.\n',
  );
  process.exit(2);
}
import(pathToFileURL(entry).href).catch((error) => {
  process.stderr.write(String((error && error.stack) || error) + '\n');
  process.exit(1);
});
