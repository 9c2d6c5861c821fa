/* PLACEHOLDER CLI */
#include <stdio.h>
#include "tanne.h"
int main(void) { puts("tanne " TN_VERSION_STRING); return 0; }
