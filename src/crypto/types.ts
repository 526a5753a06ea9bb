/** How a backup is encrypted: age recipients (public keys, no secret needed) and/or a passphrase. */
export interface EncryptionSettings {
  recipients: string[]
  passphrase?: string
}

/** How a backup is decrypted: age identities (AGE-SECRET-KEY-1…) or the passphrase. */
export interface DecryptionSettings {
  identities: string[]
  passphrase?: string
}
