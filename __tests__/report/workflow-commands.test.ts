import { jest } from '@jest/globals'
import { commandLogger, getInput, getState } from '../../src/report/workflow-commands.js'

describe('workflow commands without @actions/core', () => {
  const saved = { ...process.env }
  afterEach(() => {
    process.env = { ...saved }
  })

  it('reads inputs and state the way the runner passes them', () => {
    process.env['INPUT_START-COMMAND'] = '  systemctl start xl-release \n'
    process.env['STATE_server-stopped'] = '{"port":5516}'
    expect(getInput('start-command')).toBe('systemctl start xl-release')
    expect(getInput('stop-command')).toBe('')
    expect(getState('server-stopped')).toBe('{"port":5516}')
    expect(getState('other')).toBe('')
  })

  it('escapes annotation data so a message cannot smuggle in another command', () => {
    const lines: string[] = []
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk))
      return true
    })
    try {
      commandLogger.error('50% done\n::add-mask::x\r')
      commandLogger.info('plain line')
    } finally {
      write.mockRestore()
    }
    expect(lines).toEqual(['::error::50%25 done%0A::add-mask::x%0D\n', 'plain line\n'])
  })
})
