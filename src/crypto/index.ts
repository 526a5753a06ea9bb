export type { EncryptionSettings, DecryptionSettings } from './types.js'
export { createEncryptStream } from './encrypt-stream.js'
export { createDecryptStream } from './decrypt-stream.js'
export { isAgeFile, encryptedFileName, assertEncryptedIfRequired } from './files.js'
export {
  parseRecipients,
  parseIdentities,
  checkEncryptionSettings,
  checkDecryptionSettings,
  encryptionEnabled,
  decryptionKeysGiven
} from './keys.js'
