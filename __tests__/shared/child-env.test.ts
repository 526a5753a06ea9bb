import { commandEnv, rememberSecret, toolEnv } from '../../src/shared/child-env.js'

/** The variables every tool gets from the runner's environment. */
const basics = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/runner',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  TZ: 'UTC',
  TMPDIR: '/tmp/r'
}

const runner = {
  ...basics,
  ORACLE_HOME: '/opt/oracle',
  'INPUT_DATABASE-PASSWORD': 'secret-db-password',
  'INPUT_STOP-COMMAND': 'systemctl stop xl-release',
  ACTIONS_RUNTIME_TOKEN: 'runtime',
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://oidc',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc',
  GITHUB_TOKEN: 'ghs_x',
  GITHUB_WORKSPACE: '/w',
  XLR_DATABASE_PASSWORD: 'secret-db-password',
  DSN: 'postgres://xlr:secret-db-password@db/xlr',
  SHORT: 'pw',
  PGPASSWORD: 'leftover'
}

beforeAll(() => {
  rememberSecret('secret-db-password')
  rememberSecret('pw')
})

test('a database tool gets the basics and its own variables, nothing else', () => {
  expect(toolEnv({ PGPASSFILE: '/run/x/pgpass' }, { env: runner })).toEqual({
    ...basics,
    PGPASSFILE: '/run/x/pgpass'
  })
})

test('a custom command also gets the vendor client configuration, never a credential', () => {
  const env = toolEnv({ XLR_DB_PASSWORD: 'own' }, { env: runner, vendor: true })
  expect(env.ORACLE_HOME).toBe('/opt/oracle')
  expect(env.XLR_DB_PASSWORD).toBe('own')
  expect(Object.keys(env).filter(k => /INPUT_|TOKEN|PGPASSWORD|XLR_DATABASE/.test(k))).toEqual([])
})

test('stop/start commands get everything but inputs, tokens and variables holding a secret', () => {
  const env = commandEnv(runner)
  expect(Object.keys(env).sort()).toEqual(
    ['GITHUB_WORKSPACE', 'HOME', 'LANG', 'LC_ALL', 'ORACLE_HOME', 'PATH', 'PGPASSWORD', 'TMPDIR', 'TZ'].sort()
  )
  // A short secret is removed only where it is the whole value: 'pw' must not take PATH with it.
  expect(env.PATH).toBe('/usr/bin:/bin')
  expect(env.SHORT).toBeUndefined()
})
