/* A lock file that says "this process is training that run folder", so
 * that several `tanne learning-curve` processes sharing an output folder
 * never train the same run at once. The file holds the owner's process id;
 * a lock whose owner is gone (killed) is stale and taken over. Locks are
 * advisory and local to one machine (process ids of other hosts mean
 * nothing here). */
#ifndef TN_CLI_RUN_LOCK_H
#define TN_CLI_RUN_LOCK_H

/* Tries to take the lock at path: 1 taken (the file now holds this
 * process's id), -1 busy (a live process holds it; *owner gets its id),
 * 0 on an error, after a message prefixed by command. */
int run_lock_claim(const char *command, const char *path, long *owner);
/* Removes a lock this process took. */
void run_lock_release(const char *path);

#endif
