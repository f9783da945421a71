#ifndef TRIBUTARY_CPOPPLER_H
#define TRIBUTARY_CPOPPLER_H
#include <poppler.h>

/// GError's domain check is a macro-built function call; these keep the Swift layer to plain calls.
static inline int tributary_poppler_error_is_encrypted(const GError *error) {
    return error != NULL && error->domain == POPPLER_ERROR && error->code == POPPLER_ERROR_ENCRYPTED;
}

/// Releases a GObject (the document or a page).
static inline void tributary_poppler_unref(void *object) {
    if (object != NULL) g_object_unref(object);
}
#endif
