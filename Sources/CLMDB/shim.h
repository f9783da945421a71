#ifndef TRIBUTARY_CLMDB_SHIM_H
#define TRIBUTARY_CLMDB_SHIM_H
// LMDB's API is plain C with no variadics; Swift imports it directly.
// This header exists so the module map has one stable entry point.
#include <lmdb.h>
#endif
