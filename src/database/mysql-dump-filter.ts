/**
 * A MySQL/MariaDB dump is data, never a script. The `mysql`/`mariadb` client that loads it obeys its own commands in
 * the input — `\! cmd` and `system cmd` run a shell command, `\. file`/`source` read files, `tee`/`pager` write and
 * run, `connect`/`\r` log into another server with the same credentials, `use`/`\u` switch databases — so a forged
 * backup could run commands on the restoring host. This filter reads the dump the way the client does and refuses one
 * that holds a client command outside string literals and comments. It is one of two layers: the client also runs
 * with `--binary-mode` (and `--sandbox` / `--system-command=OFF` where it has them), see mysqlClientGuardFlags.
 *
 * The reading follows the client (mysql.cc `add_line`/`find_command`):
 * - a backslash command (`\X`) counts anywhere outside '…', "…" and `…` and outside plain /* … *\/ comments; the
 *   versioned comments `/*!…*\/` and `/*M!…*\/` are code to the client, so a command inside them counts too. The one
 *   allowed is `\-`, MariaDB's "enable the sandbox mode" that mariadb-dump writes in its first line.
 * - a named command (`system`, `source`, …) counts as the first word of a statement. The client looks at statement
 *   starts; the filter is stricter and checks every line start and every word after a ';', so it needs no knowledge
 *   of the delimiter in force. The only one allowed is mysqldump's own `DELIMITER ;;` / `DELIMITER ;` line.
 * - `-- ` and `#` comments run to the end of the line; in '…' and "…" a backslash escapes the next character.
 */
import { Transform, type TransformCallback } from 'node:stream'

/** Every named command of the MySQL 8 and MariaDB 10/11 clients (compared case-insensitively, as the clients do). */
const NAMED_COMMANDS = new Set([
  '?',
  'help',
  'clear',
  'connect',
  'delimiter',
  'edit',
  'ego',
  'exit',
  'go',
  'nopager',
  'notee',
  'pager',
  'print',
  'prompt',
  'quit',
  'rehash',
  'source',
  'status',
  'system',
  'tee',
  'use',
  'charset',
  'warnings',
  'nowarning',
  'resetconnection',
  'query_attributes',
  'ssl_session_data_print',
  'sandbox'
])

/** The DELIMITER lines mysqldump writes around triggers, routines and events. */
const ALLOWED_DELIMITERS = new Set([';;', ';'])

const MAX_WORD = 32
const MAX_DELIMITER_LINE = 64

const enum S {
  Code,
  Slash,
  SlashStar,
  SlashStarM,
  Dash,
  DashDash,
  Backslash,
  Single,
  SingleEscape,
  Double,
  DoubleEscape,
  Backtick,
  BlockComment,
  BlockCommentStar,
  LineComment,
  DelimiterArgument
}

const NL = 0x0a
/** The bytes that matter in code once a statement has begun: newline, ';', quotes, comment starts, backslash. */
const CODE_SPECIAL = new Uint8Array(256)
for (const c of '\n;\'"`/-#\\') CODE_SPECIAL[c.charCodeAt(0)] = 1
const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0d || c === NL || c === 0x0b || c === 0x0c
const isWordChar = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f

/** Why a dump was refused: the line and what the client would have done. */
export class ClientCommandError extends Error {
  constructor(
    readonly line: number,
    readonly command: string
  ) {
    super(`line ${line} holds the client command ${command}`)
    this.name = 'ClientCommandError'
  }
}

/** Streaming scanner: feed it the dump's bytes in any chunks; it throws ClientCommandError at the first command. */
export class ClientCommandScanner {
  private state = S.Code
  /** At a statement start: the next word must not be a named command. */
  private expectWord = true
  /** expectWord as it was before a comment began (a comment between ';' and the word does not end the statement start). */
  private expectWordBeforeComment = false
  private word = ''
  private wordOverflow = false
  private delimiterLine = ''
  private line = 1

  feed(chunk: Uint8Array): void {
    const n = chunk.length
    let i = 0
    while (i < n) {
      // Tight loops over the bytes that cannot change the state (string contents, comments, plain code): a dump is
      // read twice through here, so this is what the restore waits for.
      switch (this.state) {
        case S.Single:
          while (i < n) {
            const c = chunk[i]
            if (c === 0x27 || c === NL) break
            // An escape pair inside the chunk is skipped whole; one split across chunks goes through step().
            if (c === 0x5c) {
              if (i + 1 >= n || chunk[i + 1] === NL) break
              i += 2
            } else i++
          }
          break
        case S.Double:
          while (i < n) {
            const c = chunk[i]
            if (c === 0x22 || c === NL) break
            // An escape pair inside the chunk is skipped whole; one split across chunks goes through step().
            if (c === 0x5c) {
              if (i + 1 >= n || chunk[i + 1] === NL) break
              i += 2
            } else i++
          }
          break
        case S.Backtick:
          while (i < n && chunk[i] !== 0x60 && chunk[i] !== NL) i++
          break
        case S.BlockComment:
          while (i < n && chunk[i] !== 0x2a && chunk[i] !== NL) i++
          break
        case S.LineComment:
          while (i < n && chunk[i] !== NL) i++
          break
        case S.Code:
          if (!this.expectWord) while (i < n && !CODE_SPECIAL[chunk[i]]) i++
          break
        default:
          // The short-lived states (an escape, the second character of a comment opener, …) take one byte at a time.
          break
      }
      if (i < n) this.step(chunk[i++])
    }
  }

  /** The end of the dump: a statement start holding a command at the very end counts too. */
  end(): void {
    if (this.state === S.Backslash) this.refuse('\\ at the end of the dump')
    if (this.state === S.DelimiterArgument) this.checkDelimiter()
    if (this.word) this.endWord()
  }

  private refuse(command: string): never {
    throw new ClientCommandError(this.line, command)
  }

  private step(c: number): void {
    switch (this.state) {
      case S.Code:
        return this.code(c)
      case S.Slash:
        if (c === 0x2a) {
          this.state = S.SlashStar
          return
        }
        this.state = S.Code
        return this.code(c)
      case S.SlashStar:
        if (c === 0x21) return this.enterVersionedComment()
        if (c === 0x4d) {
          this.state = S.SlashStarM
          return
        }
        this.enterBlockComment()
        return this.step(c)
      case S.SlashStarM:
        if (c === 0x21) return this.enterVersionedComment()
        this.enterBlockComment()
        return this.step(c)
      case S.Dash:
        if (c === 0x2d) {
          this.state = S.DashDash
          return
        }
        this.state = S.Code
        return this.code(c)
      case S.DashDash:
        if (isSpace(c)) {
          this.expectWordBeforeComment = this.expectWord
          this.state = S.LineComment
          return this.step(c)
        }
        this.state = S.Code
        return this.code(c)
      case S.Backslash:
        // '\-' is MariaDB's "enable the sandbox mode": the only client command a genuine dump holds.
        if (c !== 0x2d) this.refuse(`'\\${c === NL ? '' : String.fromCharCode(c)}'`)
        this.state = S.Code
        return
      case S.Single:
        if (c === 0x5c) this.state = S.SingleEscape
        else if (c === 0x27) this.state = S.Code
        else if (c === NL) this.line++
        return
      case S.SingleEscape:
        if (c === NL) this.line++
        this.state = S.Single
        return
      case S.Double:
        if (c === 0x5c) this.state = S.DoubleEscape
        else if (c === 0x22) this.state = S.Code
        else if (c === NL) this.line++
        return
      case S.DoubleEscape:
        if (c === NL) this.line++
        this.state = S.Double
        return
      case S.Backtick:
        if (c === 0x60) this.state = S.Code
        else if (c === NL) this.line++
        return
      case S.BlockComment:
        if (c === 0x2a) this.state = S.BlockCommentStar
        else if (c === NL) this.line++
        return
      case S.BlockCommentStar:
        if (c === 0x2f) {
          this.state = S.Code
          this.expectWord = this.expectWordBeforeComment
        } else if (c !== 0x2a) {
          if (c === NL) this.line++
          this.state = S.BlockComment
        }
        return
      case S.LineComment:
        if (c === NL) {
          this.line++
          this.state = S.Code
          this.expectWord = true
        }
        return
      case S.DelimiterArgument:
        if (c === NL) {
          this.checkDelimiter()
          this.line++
          this.state = S.Code
          this.expectWord = true
          return
        }
        this.delimiterLine += String.fromCharCode(c)
        if (this.delimiterLine.length > MAX_DELIMITER_LINE) this.checkDelimiter()
        return
    }
  }

  private code(c: number): void {
    if (this.expectWord) {
      if (isWordChar(c) || (c === 0x3f && this.word === '')) {
        // '?' (help) can only be a word of its own: it is taken only as a word's first character.
        if (this.word.length < MAX_WORD) this.word += String.fromCharCode(c)
        else this.wordOverflow = true
        return
      }
      if (this.word) {
        this.endWord()
        if (this.state === S.DelimiterArgument) return this.step(c)
      } else if (!isSpace(c) && c !== 0x2f && c !== 0x2d && c !== 0x23 && c !== 0x3b && c !== 0x5c) {
        // Anything else starts a statement that is no client command (a '(' of a VALUES list, a quote, …).
        this.expectWord = false
      }
    }
    switch (c) {
      case NL:
        this.line++
        this.expectWord = true
        return
      case 0x3b: // ';' ends a statement under any delimiter mysqldump uses (';' and ';;')
        this.expectWord = true
        return
      case 0x27:
        this.state = S.Single
        this.expectWord = false
        return
      case 0x22:
        this.state = S.Double
        this.expectWord = false
        return
      case 0x60:
        this.state = S.Backtick
        this.expectWord = false
        return
      case 0x2f:
        this.state = S.Slash
        return
      case 0x2d:
        this.state = S.Dash
        return
      case 0x23: // '#' comment
        this.expectWordBeforeComment = this.expectWord
        this.state = S.LineComment
        return
      case 0x5c:
        this.state = S.Backslash
        return
      default:
        if (!isSpace(c)) this.expectWord = false
    }
  }

  private endWord(): void {
    const word = this.word.toLowerCase()
    const overflow = this.wordOverflow
    this.word = ''
    this.wordOverflow = false
    this.expectWord = false
    if (overflow || !NAMED_COMMANDS.has(word)) return
    if (word === 'delimiter') {
      this.delimiterLine = ''
      this.state = S.DelimiterArgument
      return
    }
    this.refuse(`'${word}'`)
  }

  private checkDelimiter(): void {
    const argument = this.delimiterLine.trim()
    if (!ALLOWED_DELIMITERS.has(argument)) this.refuse(`'delimiter ${argument.slice(0, 20)}'`)
    this.delimiterLine = ''
  }

  private enterVersionedComment(): void {
    // '/*!50003 …' is code to the client and the server: a word right after it is no statement start of the client's.
    this.state = S.Code
    this.expectWord = false
  }

  private enterBlockComment(): void {
    // The '/' was seen in Code while expectWord held; restore it after the comment.
    this.expectWordBeforeComment = this.expectWord
    this.state = S.BlockComment
  }
}

/** A pass-through stream that fails (with ClientCommandError) as soon as the dump holds a client command. */
export class ClientCommandFilter extends Transform {
  private readonly scanner = new ClientCommandScanner()
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.scanner.feed(chunk)
      cb(null, chunk)
    } catch (e) {
      cb(e as Error)
    }
  }
  override _flush(cb: TransformCallback): void {
    try {
      this.scanner.end()
      cb()
    } catch (e) {
      cb(e as Error)
    }
  }
}
