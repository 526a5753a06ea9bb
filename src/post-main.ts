/** The action's post entry point (dist/post/index.js): a bundle of its own, so it can never run a backup. */
import { runPost } from './post.js'

void runPost()
