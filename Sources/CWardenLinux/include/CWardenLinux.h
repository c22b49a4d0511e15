#ifndef CWARDEN_LINUX_H
#define CWARDEN_LINUX_H

/// prctl(2) is variadic, so Swift cannot call it: these fixed-signature wrappers can.

/// Sets PR_SET_NO_NEW_PRIVS: execve can no longer grant privileges (setuid bits, file
/// capabilities). Returns 0, or -1 with errno set; -1 with ENOSYS off Linux.
int warden_set_no_new_privs(void);

/// PR_GET_NO_NEW_PRIVS: 1 when set, 0 when not, -1 with errno set on failure.
int warden_get_no_new_privs(void);

#endif
