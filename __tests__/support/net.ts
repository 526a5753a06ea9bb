import * as net from 'node:net'

/**
 * A free TCP port on 127.0.0.1, for a home's http.port or the `port` input: the sample's 5516 may be in use by
 * another test, and the server guard would then (rightly) refuse to run.
 */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}
