import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'

/** Files of a fake home: relative path → content; a path ending in '/' makes an empty folder. */
export type HomeFiles = Record<string, string>

/** Temporary folders made by the fixtures of one test file; `cleanup` (call in afterAll) removes them all. */
export class HomeFixtures {
  private readonly dirs: string[] = []

  /** A new temporary folder, optionally named `name` inside a fresh parent (for folder-name version tests). */
  async dir(name?: string): Promise<string> {
    const parent = await mkdtemp(path.join(os.tmpdir(), 'xlr-home-test-'))
    this.dirs.push(parent)
    if (!name) return parent
    const dir = path.join(parent, name)
    await mkdir(dir)
    return dir
  }

  /** Writes `files` under a new home folder (named `name` if given) and returns its path. */
  async home(files: HomeFiles, name?: string): Promise<string> {
    const home = await this.dir(name)
    await writeFiles(home, files)
    return home
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.dirs.map(d => rm(d, { recursive: true, force: true })))
  }
}

export async function writeFiles(root: string, files: HomeFiles): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const target = path.join(root, rel)
    if (rel.endsWith('/')) {
      await mkdir(target, { recursive: true })
      continue
    }
    await mkdir(path.dirname(target), { recursive: true })
    await writeFile(target, content)
  }
}

/** A SQL-era (22.x) xl-release.conf in the shapes real ones take: includes, substitutions, comments, dotted keys. */
export const SQL_ERA_CONF = `# XL Release configuration (written by hand after the upgrade to 22.3)
include "database.conf"
include required(file("cluster.conf"))
include file("optional-local.conf")   // absent on this host: fine

xl {
  # The repository database
  database {
    db-driver-classname = "org.postgresql.Driver"
    db-url = "jdbc:postgresql://db.example.com:5432/xlrelease?ssl=true&sslmode=require"
    db-username = \${db.user}
    db-password = "{b64}C7JZetqHNXwGa+KYmL3yXQ=="
    max-pool-size: 10
  }
  reporting: {
    db-driver-classname: "org.postgresql.Driver"
    db-url: "jdbc:postgresql://db.example.com:5432/xlarchive"
    db-username: \${db.user}
    db-password: \${?ARCHIVE_DB_PASSWORD}
  }
}
xl.reporting.max-pool-size = \${xl.database.max-pool-size}
`

export const SQL_ERA_DATABASE_CONF = `// shared database settings
db {
  user = xlr_service
  host = "db.example.com"
}
`

export const SQL_ERA_CLUSTER_CONF = `xl.cluster {
  mode = "hot-standby"
  name = "xlr-prod"
}
`

/** A SQL-era (22.x) home's conf: xl-release.conf with its database and cluster includes, and the server jar. */
export const SQL_ERA_HOME: HomeFiles = {
  'conf/xl-release.conf': SQL_ERA_CONF,
  'conf/database.conf': SQL_ERA_DATABASE_CONF,
  'conf/cluster.conf': SQL_ERA_CLUSTER_CONF,
  'lib/xlr-server-22.3.4.jar': ''
}

/** The repository database JACKRABBIT_MYSQL_XML describes, as the home reader reports it. */
export const JACKRABBIT_MYSQL_REPOSITORY = {
  role: 'repository',
  url: 'jdbc:mysql://mysql.example.com:3306/xlrelease?autoReconnect=true&useSSL=false',
  username: 'xlrelease',
  password: 'p<ss"w0rd!',
  driver: 'com.mysql.jdbc.Driver',
  source: 'conf/jackrabbit-repository.xml: Repository/Workspace/PersistenceManager'
}

/** Shaped like the repository.xml XL Release 4.x–7.x shipped for an external MySQL database. */
export const JACKRABBIT_MYSQL_XML = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE Repository PUBLIC "-//The Apache Software Foundation//DTD Jackrabbit 2.0//EN"
    "http://jackrabbit.apache.org/dtd/repository-2.0.dtd" [
  <!ENTITY dbhost "ignored">
]>
<Repository>
    <!-- the repository file system: <param name="url" value="jdbc:commented:out"/> -->
    <FileSystem class="org.apache.jackrabbit.core.fs.local.LocalFileSystem">
        <param name="path" value="\${rep.home}/repository"/>
    </FileSystem>
    <DataStore class="org.apache.jackrabbit.core.data.FileDataStore">
        <param name="path" value="\${rep.home}/repository/datastore"/>
        <param name="minRecordLength" value="100"/>
    </DataStore>
    <Security appName="Jackrabbit">
        <SecurityManager class="org.apache.jackrabbit.core.DefaultSecurityManager" workspaceName="security"/>
        <AccessManager class="org.apache.jackrabbit.core.security.DefaultAccessManager"/>
    </Security>
    <Workspaces rootPath="\${rep.home}/workspaces" defaultWorkspace="default"/>
    <Workspace name="\${wsp.name}">
        <FileSystem class="org.apache.jackrabbit.core.fs.local.LocalFileSystem">
            <param name="path" value="\${wsp.home}"/>
        </FileSystem>
        <PersistenceManager class='org.apache.jackrabbit.core.persistence.pool.MySqlPersistenceManager'>
            <param name="driver" value="com.mysql.jdbc.Driver"/>
            <param name="url"
                   value="jdbc:mysql://mysql.example.com:3306/xlrelease?autoReconnect=true&amp;useSSL=false"/>
            <param name="user" value="xlrelease"/>
            <param name="password" value="p&lt;ss&quot;w&#48;rd&#x21;"/>
            <param name="schema" value="mysql"/>
            <param name="schemaObjectPrefix" value="\${wsp.name}_"></param>
        </PersistenceManager>
        <SearchIndex class="org.apache.jackrabbit.core.query.lucene.SearchIndex">
            <param name="path" value="\${wsp.home}/index"/>
        </SearchIndex>
    </Workspace>
    <Versioning rootPath="\${rep.home}/version">
        <PersistenceManager class="org.apache.jackrabbit.core.persistence.pool.MySqlPersistenceManager">
            <param name="url" value="jdbc:mysql://mysql.example.com:3306/xlrelease?autoReconnect=true&amp;useSSL=false"/>
            <param name="user" value="xlrelease"/>
            <param name="password" value="other"/>
        </PersistenceManager>
    </Versioning>
</Repository>
`
