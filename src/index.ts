/** The action's entry point: it only runs the front end, so every module stays importable without side effects. */
import { run } from './main.js'

void run()
