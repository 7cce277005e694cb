/*
 * tut_keys.h — the key a reader presses at a pause between steps, read at
 * once from a terminal (no Enter needed).
 *
 * While it waits, the terminal is in non-canonical mode without echo
 * (termios: ICANON and ECHO off, one byte at a time); its settings are put
 * back before tut_read_key() returns, at exit, and when a signal that ends
 * or stops the process arrives (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP).
 * When stdin is not a terminal, or its settings cannot be changed, a whole
 * line is read instead and its first character counts.
 */
#ifndef TUT_KEYS_H
#define TUT_KEYS_H

/** What the reader asked for at a pause. */
typedef enum tut_key {
    TUT_KEY_NEXT = 0,   /**< Enter or space: the next step */
    TUT_KEY_QUIT        /**< q, Q, Esc, Ctrl-D or end of input: stop here */
} tut_key;

/**
 * Put the terminal in the waiting mode now, before the prompt is printed, so
 * that a key pressed as soon as the prompt shows is neither echoed nor lost
 * (tut_read_key() then finds the mode set; a no-op when stdin is no terminal).
 */
void tut_keys_begin(void);

/** Wait for a key that means something (others are ignored) and return it. */
tut_key tut_read_key(void);

#endif
