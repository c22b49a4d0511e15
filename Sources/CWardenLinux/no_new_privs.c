#include "CWardenLinux.h"

#include <errno.h>

#ifdef __linux__
#include <sys/prctl.h>

int warden_set_no_new_privs(void) { return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); }

int warden_get_no_new_privs(void) { return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); }
#else
int warden_set_no_new_privs(void) {
    errno = ENOSYS;
    return -1;
}

int warden_get_no_new_privs(void) {
    errno = ENOSYS;
    return -1;
}
#endif
