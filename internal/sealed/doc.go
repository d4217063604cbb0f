// Package sealed encrypts small secrets for storage (AES-256-GCM) under keys
// that can be rotated.
//
// A sealed value is text, so it fits the column that held the plain secret:
//
//	v1:<key ID>:<base64url, unpadded, of nonce || ciphertext || tag>
//
// The version names the format; the key ID names the key that sealed it, so
// a Keyring can hold several keys at once. Its first key seals, and every
// key opens. Rotation is therefore three steps: put a new key first (values
// sealed under the old one still open), re-seal what is stored (Prefix finds
// what is not yet under the first key), then drop the old key.
//
// Every value is sealed with additional data chosen by the caller, such as
// the ID of the row it belongs to: the value opens only with the same data,
// so a sealed secret copied into another row is refused rather than
// trusted. The version and key ID are authenticated too.
//
// Nothing in the package prints key material: Key and Keyring format as
// their key IDs, and errors name key IDs, never keys or plaintext.
package sealed
