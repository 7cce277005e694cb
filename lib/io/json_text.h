/*
 * json_text.h — (internal) freeing the text json_dumps() made. jansson
 * allocates through its own process-wide hook, which ranklab leaves to the
 * host program (core/alloc.h): the text goes back to the free function
 * jansson reports now, whatever the host installed.
 */
#ifndef RK_IO_JSON_TEXT_H
#define RK_IO_JSON_TEXT_H

#include <jansson.h>

/** Free @p text, made by json_dumps(), with jansson's current free function. */
static inline void rk_json_text_free(char *text)
{
    json_malloc_t jmalloc;
    json_free_t jfree;
    json_get_alloc_funcs(&jmalloc, &jfree);
    jfree(text);
}

#endif
