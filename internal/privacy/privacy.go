// Package privacy makes the rights of the people whose data Safelight
// holds into working features: the records of processing (what is done
// with personal data, why, on which lawful basis, for how long, with
// whom), access and portability (a complete export), erasure by
// crypto-shredding with a journal replayed after any restore, and the
// retention periods enforced by jobs.
//
// The domain packages keep owning their data (library the assets,
// sharing the projects, calls the entries, auth the accounts); privacy
// reads and erases through them and their stores, and decides nothing
// about who may see what.
package privacy
