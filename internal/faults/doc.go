// Package faults holds the fault tests of the platform (issue 5, "Faults,
// tested"). Each runs against real servers (PostgreSQL, MinIO, the lawvillage
// binary), injects one fault, and ends by checking that no data was lost or
// duplicated:
//
//   - TestFaultPostgresRestartDuringJobRun: a private PostgreSQL is
//     restarted while a compliance job (daily-outcomes for a year, 17
//     transactions) is in the middle of its 14th transaction. The run is
//     recorded as failed with its error, a re-run succeeds, and the
//     snapshots, alerts and alert history equal those of a clean run on an
//     identical copy of the database, with no duplicate.
//   - TestFaultPostgresRestartDuringWrites: clerks record activities
//     through the GraphQL API from several goroutines while the private
//     PostgreSQL restarts. Each request either succeeded, and its row is
//     stored exactly once, or failed with UNAVAILABLE and stored nothing;
//     the connection pool recovers by itself.
//   - TestFaultLeaderKilledMidRun: two scheduler replicas share a database;
//     the leader loses its lock session, or is killed, while a job's
//     transaction is half written. That run writes nothing and is not
//     recorded as succeeded; a replica takes over and the work is done once.
//   - TestConcurrentEditsConflict: two users change the same activity,
//     village or title status at the same moment with the same
//     expectedVersion: one change is applied, the other gets CONFLICT, never
//     a silent overwrite.
//   - TestFaultImportKilled: `lawvillage import regions` of a 23,608-row
//     province is killed (SIGKILL) while it writes; the database holds no
//     region, and importing again stores every row once.
//
// MinIO stopped during uploads is tested where the evidence service lives:
// TestStorageDown in internal/evidence (an upload while the storage is down
// fails with UNAVAILABLE and writes no row; files stored before survive a
// restart) and TestServerStopAndRestart in internal/objectstore.
//
// The tests need the servers of `lawvillage devstack exec` (as `make test`
// runs them); the PostgreSQL restarts use private clusters of their own.
package faults
