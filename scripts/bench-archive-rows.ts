/**
 * The bench's backup and restore rows: the action against zip, unzip and tar+zstd on the same home. Restore unpacks
 * the backup the same round wrote; unzip unpacks that same archive.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import * as path from 'node:path'
import { registerBenchCommands, registerBenchRatios, type BenchScale } from './bench-registry.js'

const backupFile = (s: BenchScale): string => path.join(s.store, `${s.name}.zip`)
const fresh =
  (...names: string[]) =>
  (s: BenchScale): void => {
    for (const name of names) rmSync(path.join(s.dir, name), { recursive: true, force: true })
  }

registerBenchCommands(
  {
    name: 'actionBackup',
    prepare: s => rmSync(s.store, { recursive: true, force: true }),
    command: s =>
      `${s.cli} backup --home ${s.home} --storage directory --path ${s.store} --database none --name ${s.name} >/dev/null 2>&1`,
    output: backupFile
  },
  {
    name: 'zip6',
    prepare: fresh('zip6.zip'),
    command: s => `cd ${s.home} && zip -r -q -y -6 ${s.dir}/zip6.zip .`,
    output: s => path.join(s.dir, 'zip6.zip')
  },
  {
    name: 'tarZstd',
    prepare: fresh('home.tar.zst'),
    command: s => `tar -C ${s.home} -cf - . | zstd -q -T0 -3 -o ${s.dir}/home.tar.zst`,
    output: s => path.join(s.dir, 'home.tar.zst')
  },
  {
    name: 'actionRestore',
    prepare: fresh('restored'),
    command: s =>
      `${s.cli} restore --home ${s.dir}/restored --storage directory --path ${s.store} --name ${s.name} --components all --database none --safety-dump false >/dev/null 2>&1`
  },
  {
    name: 'unzip',
    prepare: fresh('unzipped'),
    command: s => `mkdir -p ${s.dir}/unzipped && unzip -q ${backupFile(s)} -d ${s.dir}/unzipped`
  },
  {
    name: 'untar',
    prepare: s => {
      fresh('untarred')(s)
      if (!existsSync(`${s.dir}/home.tar`)) spawnSync('tar', ['-C', s.home, '-cf', `${s.dir}/home.tar`, '.'])
    },
    command: s => `mkdir -p ${s.dir}/untarred && tar -xf ${s.dir}/home.tar -C ${s.dir}/untarred`
  }
)

registerBenchRatios(
  { name: 'backup/zip -6', of: 'actionBackup', to: 'zip6' },
  { name: 'backup/tar+zstd', of: 'actionBackup', to: 'tarZstd' },
  { name: 'restore/unzip', of: 'actionRestore', to: 'unzip' },
  { name: 'restore/untar', of: 'actionRestore', to: 'untar' },
  { name: 'size/zip -6', of: 'actionBackup', to: 'zip6', measure: 'bytes' }
)
