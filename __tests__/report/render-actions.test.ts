import { jest } from '@jest/globals'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import type { JobSummary } from '../../src/report/job-result.js'
import { writeJobSummary } from '../../src/report/render-actions.js'

const SUMMARY: JobSummary = {
  title: 'XL Release backup nightly.zip',
  facts: [['Size', '1.0 MiB']],
  tables: [],
  snippets: [{ caption: 'Restore this backup', language: 'yaml', text: '- uses: acme/xlr-backup@v1\n' }],
  notes: []
}

describe('the job summary', () => {
  it('goes to the log where the runtime has no summary file (local-action, older runners), without failing', async () => {
    const written: string[] = []
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
      written.push(String(chunk))
      return true
    })
    try {
      await writeJobSummary(SUMMARY, {})
    } finally {
      spy.mockRestore()
    }
    const log = written.join('')
    expect(log).toContain('XL Release backup nightly.zip')
    expect(log).toContain('Restore this backup\n- uses: acme/xlr-backup@v1')
  })

  it('is written to GITHUB_STEP_SUMMARY with the restore step as a code block', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'summary-'))
    const file = path.join(dir, 'step-summary.md')
    await writeFile(file, '')
    const saved = process.env.GITHUB_STEP_SUMMARY
    process.env.GITHUB_STEP_SUMMARY = file
    try {
      await writeJobSummary(SUMMARY, process.env)
      const html = await readFile(file, 'utf8')
      expect(html).toContain('<h2>XL Release backup nightly.zip</h2>')
      expect(html).toContain('<h3>Restore this backup</h3>')
      expect(html).toContain('<pre lang="yaml"><code>- uses: acme/xlr-backup@v1')
    } finally {
      if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY
      else process.env.GITHUB_STEP_SUMMARY = saved
      await rm(dir, { recursive: true, force: true })
    }
  })
})
