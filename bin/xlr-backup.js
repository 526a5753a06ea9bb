#!/usr/bin/env node
// The bundled CLI is built by `npm run package` into dist/cli.js, beside the action's bundle whose chunks it shares.
import '../dist/cli.js'
