// Package bad holds one mistake per platform, in files a Linux build never
// reads: the check must report each one.
package bad
