import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { ClientCommandError, ClientCommandFilter, ClientCommandScanner } from '../../src/database/mysql-dump-filter.js'

/** Scans `text` fed in chunks of `chunk` bytes (1 exercises every state across chunk boundaries). */
function scan(text: string, chunk = 0): ClientCommandError | null {
  const scanner = new ClientCommandScanner()
  const bytes = Buffer.from(text, 'utf8')
  try {
    if (chunk <= 0) scanner.feed(bytes)
    else for (let i = 0; i < bytes.length; i += chunk) scanner.feed(bytes.subarray(i, i + chunk))
    scanner.end()
    return null
  } catch (e) {
    if (e instanceof ClientCommandError) return e
    throw e
  }
}

/** The shape of a genuine mariadb-dump/mysqldump file, with the tricky parts of real data. */
const genuine = `/*M!999999\\- enable the sandbox mode */ 
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: 127.0.0.1    Database: xlr
-- ------------------------------------------------------
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;

--
-- Table structure for table \`status\`
--

DROP TABLE IF EXISTS \`status\`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
CREATE TABLE \`status\` (
  \`system\` int(11) NOT NULL,
  \`source\` text DEFAULT NULL COMMENT 'use this; system too',
  PRIMARY KEY (\`system\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

LOCK TABLES \`status\` WRITE;
INSERT INTO \`status\` VALUES
(1,'it\\'s \\\\ a \\\\! test\\n\\! touch /tmp/x'),
(2,'multi
system touch /tmp/in-a-string
\\! touch /tmp/also-in-a-string
'),(3,"double \\" quoted \\\\! ; system"),(4,'Ordner ü € — 日本語 🚀');
UNLOCK TABLES;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=\`xlr\`@\`%\`*/ /*!50003 TRIGGER XLR_AUDIT AFTER INSERT ON \`status\` FOR EACH ROW
INSERT INTO XLR_LOG VALUES (NEW.\`system\`) */;;
DELIMITER ;
/* a comment with \\! touch /tmp/x and
system touch /tmp/y on its own line */
# system touch /tmp/z
-- \\! touch /tmp/z
/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
-- Dump completed on 2026-11-30  0:30:00
`

describe('the MySQL dump filter: a dump is data, never a script', () => {
  test('a genuine dump passes, in one piece and byte by byte', () => {
    expect(scan(genuine)).toBeNull()
    expect(scan(genuine, 1)).toBeNull()
    expect(scan(genuine, 7)).toBeNull()
  })

  test.each([
    ['\\! at a line start', '\\! touch /tmp/canary\n', 1, "'\\!'"],
    ['\\! after a statement', 'SELECT 1; \\! touch /tmp/canary\n', 1, "'\\!'"],
    ['\\! mid-statement', 'SELECT 1 \\! touch /tmp/canary\n;', 1, "'\\!'"],
    ['\\! inside a versioned comment (code to the client)', '/*!50000 \\! touch /tmp/canary */;\n', 1, "'\\!'"],
    ['\\! inside a MariaDB versioned comment', '/*M!100100 \\! touch /tmp/canary */;\n', 1, "'\\!'"],
    ['system', 'system touch /tmp/canary\n', 1, "'system'"],
    ['SYSTEM in capitals, indented', '   SYSTEM touch /tmp/canary\n', 1, "'system'"],
    ['system after a statement on the same line', "SELECT 'a'; system touch /tmp/canary\n", 1, "'system'"],
    ['system after a comment at a statement start', 'SELECT 1; /* x */ system touch /tmp/canary\n', 1, "'system'"],
    ['system at the very end without a newline', 'SELECT 1;\nsystem', 2, "'system'"],
    ['source', 'source /etc/passwd\n', 1, "'source'"],
    ['\\. (source)', '\\. /etc/passwd\n', 1, "'\\.'"],
    ['tee', 'tee /tmp/canary\n', 1, "'tee'"],
    ['\\T (tee)', '\\T /tmp/canary\n', 1, "'\\T'"],
    ['pager', 'pager touch /tmp/canary\n', 1, "'pager'"],
    ['\\P (pager)', '\\P touch /tmp/canary\n', 1, "'\\P'"],
    ['connect', 'connect xlr attacker.example.com\n', 1, "'connect'"],
    ['\\r (connect)', '\\r xlr attacker.example.com\n', 1, "'\\r'"],
    ['use', 'use production;\n', 1, "'use'"],
    ['\\u (use)', '\\u production\n', 1, "'\\u'"],
    ['charset (changes how the client reads bytes)', 'charset gbk\n', 1, "'charset'"],
    ['\\C (charset)', '\\C gbk\n', 1, "'\\C'"],
    ['a delimiter trick', 'DELIMITER !\n', 1, "'delimiter !'"],
    ['\\d (delimiter)', '\\d !\n', 1, "'\\d'"],
    [
      'a command after a string closed with an escaped backslash',
      "INSERT INTO t VALUES ('a\\\\');\n\\! id\n",
      2,
      "'\\!'"
    ],
    ['a command after a multi-line string ends', "INSERT INTO t VALUES ('a\nb');\nsystem id\n", 3, "'system'"],
    ['a command after a block comment ends', '/* x\n*/\n\\! id\n', 3, "'\\!'"],
    ['a command after an empty comment /**/', '/**/ \\! id\n', 1, "'\\!'"],
    ['a command after a backtick identifier holding a quote', "SELECT `a'b`;\n\\! id\n", 2, "'\\!'"]
  ])('refuses %s', (_name, dump, line, command) => {
    for (const chunk of [0, 1, 3]) {
      const error = scan(dump, chunk)
      expect(error).toBeInstanceOf(ClientCommandError)
      expect({ line: error!.line, command: error!.command }).toEqual({ line, command })
    }
  })

  test('words that merely start like a command are data', () => {
    expect(scan('systematic;\nusers;\nsources;\nteeth;\n')).toBeNull()
    expect(scan("INSERT INTO t VALUES ('x');\n(1,2),\n")).toBeNull()
  })

  test('as a stream it passes a genuine dump through unchanged and fails on a forged one', async () => {
    const out: Buffer[] = []
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        out.push(chunk)
        cb()
      }
    })
    await pipeline(Readable.from([Buffer.from(genuine)]), new ClientCommandFilter(), sink)
    expect(Buffer.concat(out).toString('utf8')).toBe(genuine)
    const forged = pipeline(
      Readable.from([Buffer.from(genuine), Buffer.from('\\! touch /tmp/x\n')]),
      new ClientCommandFilter(),
      new Writable({ write: (_c, _e, cb) => cb() })
    )
    await expect(forged).rejects.toThrow(/line \d+ holds the client command '\\!'/)
  })
})
