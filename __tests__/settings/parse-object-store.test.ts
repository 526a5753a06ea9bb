import { parseSettings } from '../../src/settings/parse.js'
import { Input } from '../../src/settings/inputs.js'
import { InputError } from '../../src/shared/errors.js'

type Values = Partial<Record<Input, string>>

function parse(values: Values, env: NodeJS.ProcessEnv = {}): ReturnType<typeof parseSettings> {
  return parseSettings(name => values[name] ?? '', env)
}

function refusal(values: Values, env: NodeJS.ProcessEnv = {}): InputError {
  try {
    parse(values, env)
  } catch (error) {
    if (error instanceof InputError) return error
    throw error
  }
  throw new Error('expected an InputError')
}

const s3 = { [Input.Home]: '/h', [Input.Storage]: 's3', [Input.Bucket]: 'acme-backups' }

describe('parseSettings: s3 and azure', () => {
  it('reads the object-store inputs: path is a key prefix, not a local folder; region from the environment', () => {
    const s = parse({ ...s3, [Input.Path]: '/xlr/prod/', [Input.ImmutableDays]: '30' }, { AWS_REGION: 'eu-west-1' })
    expect(s.storage).toMatchObject({
      kind: 's3',
      bucket: 'acme-backups',
      path: 'xlr/prod',
      endpoint: '',
      region: 'eu-west-1',
      forcePathStyle: false,
      immutableDays: 30,
      immutableMode: 'governance'
    })
    expect(parse(s3, { AWS_DEFAULT_REGION: 'ap-south-1' }).storage.region).toBe('ap-south-1')
    expect(parse({ ...s3, [Input.Region]: 'us-west-2' }, { AWS_REGION: 'eu-west-1' }).storage.region).toBe('us-west-2')
    expect(parse(s3).storage).toMatchObject({ region: 'us-east-1', path: '', immutableDays: null })
  })

  it('leaves the object-store inputs out of the other storages', () => {
    const s = parse({
      [Input.Home]: '/h',
      [Input.Storage]: 'directory',
      [Input.Path]: '/b',
      [Input.ImmutableDays]: 'x'
    })
    expect(s.storage).toMatchObject({ path: '/b', bucket: '', immutableDays: null })
  })

  it('takes the Azure account from AZURE_STORAGE_CONNECTION_STRING when endpoint is empty', () => {
    const azure = { [Input.Home]: '/h', [Input.Storage]: 'azure', [Input.Bucket]: 'backups' }
    expect(parse(azure, { AZURE_STORAGE_CONNECTION_STRING: 'x' }).storage).toMatchObject({
      kind: 'azure',
      endpoint: ''
    })
    expect(refusal(azure).input).toBe(Input.Endpoint)
  })

  it.each<[Values, Input, RegExp]>([
    [{ ...s3, [Input.Bucket]: '' }, Input.Bucket, /needs the 'bucket' input/],
    [{ ...s3, [Input.Bucket]: 'Acme_Backups/x' }, Input.Bucket, /not a valid bucket name/],
    [{ ...s3, [Input.Storage]: 'azure', [Input.Bucket]: 'a--b' }, Input.Bucket, /not a valid container name/],
    [{ ...s3, [Input.Endpoint]: 'http://minio.example.com:9000' }, Input.Endpoint, /must be an https:\/\/ URL/],
    [{ ...s3, [Input.Endpoint]: 'https://key:secret@s3.example.com' }, Input.Endpoint, /without credentials/],
    [{ ...s3, [Input.Region]: 'eu west' }, Input.Region, /region name/],
    [{ ...s3, [Input.ForcePathStyle]: 'yes' }, Input.ForcePathStyle, /'true' or 'false'/],
    [{ ...s3, [Input.ImmutableDays]: '0' }, Input.ImmutableDays, /from 1 to 36500/],
    [
      { ...s3, [Input.ImmutableDays]: '7', [Input.ImmutableMode]: 'strict' },
      Input.ImmutableMode,
      /'governance', 'compliance'/
    ],
    [{ ...s3, [Input.Path]: 'xlr/../other' }, Input.Path, /key prefix inside the bucket/],
    [{ ...s3, [Input.Path]: 'xlr//prod' }, Input.Path, /key prefix inside the bucket/]
  ])('refuses %j naming the input', (values, input, message) => {
    const error = refusal(values)
    expect(error.input).toBe(input)
    expect(error.message).toMatch(message)
    expect(error.message).not.toMatch(/secret/)
  })

  it('accepts http only for a server on this machine', () => {
    expect(parse({ ...s3, [Input.Endpoint]: 'http://127.0.0.1:9000/' }).storage.endpoint).toBe('http://127.0.0.1:9000')
  })
})
