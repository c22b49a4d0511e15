// CPKCS11 is declarations only; SwiftPM wants one source file in a C target.
#include "CPKCS11.h"
