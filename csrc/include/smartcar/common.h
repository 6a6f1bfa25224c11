/**
 * @file smartcar/common.h
 * @brief Export macros, version, global initialisation and sc_free().
 */
#ifndef SMARTCAR_COMMON_H
#define SMARTCAR_COMMON_H

#include <stddef.h>

#ifdef __cplusplus
#define SC_BEGIN_DECL extern "C" {
#define SC_END_DECL }
#else
#define SC_BEGIN_DECL
#define SC_END_DECL
#endif

#if defined(_WIN32) && defined(SC_SHARED_BUILD)
#define SC_EXTERN(type) __declspec(dllexport) type
#elif defined(__GNUC__)
#define SC_EXTERN(type) __attribute__((visibility("default"))) type
#else
#define SC_EXTERN(type) type
#endif

/* Marks a declaration kept only for source compatibility. */
#if defined(__GNUC__)
#define SC_DEPRECATED __attribute__((deprecated))
#else
#define SC_DEPRECATED
#endif

#define SC_VERSION_MAJOR 0
#define SC_VERSION_MINOR 1
#define SC_VERSION_PATCH 0
#define SC_VERSION "0.1.0"

SC_BEGIN_DECL

/**
 * The library version string, e.g. "0.1.0".
 * Ownership: static storage.
 */
SC_EXTERN(const char *) sc_version(void);

/**
 * Initialise the library's dependencies (libcurl).  Call once before any
 * thread uses the library; further calls do nothing.
 * @return 0, or SC_ENOMEM / SC_ENETWORK when libcurl cannot start.
 * Thread-safety: call before starting threads.
 */
SC_EXTERN(int) sc_global_init(void);

/**
 * Release what sc_global_init() set up.  Optional, at process exit.
 * Thread-safety: no other thread may be using the library.
 */
SC_EXTERN(void) sc_global_cleanup(void);

/**
 * Free a string or buffer handed out by the library through `char **out`.
 * Accepts NULL.
 */
SC_EXTERN(void) sc_free(void *ptr);

SC_END_DECL

#endif
