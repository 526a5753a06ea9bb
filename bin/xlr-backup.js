#!/usr/bin/env node
// The bundled CLI is built by `npm run package` into dist/cli/index.js and committed with the action's bundle.
import '../dist/cli/index.js'
