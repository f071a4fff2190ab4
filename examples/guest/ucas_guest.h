/*
 * ucas_guest.h: the hypercall interface of a guest run by `ucas run`.
 *
 * A guest is one freestanding C file with `int main(void)`, built by
 * build.sh together with start.c (start-up code, memcpy/memset/memmove/
 * memcmp, the program-interruption handler) and guest.ld.
 *
 * Hypercalls are `DIAGNOSE 0x500` (the instruction KVM uses for s390
 * hypercalls): function number in r1, arguments in r2, r3, r4, result in r2.
 *
 *   function 1, write:  r2 = fd (1 stdout, 2 stderr), r3 = buffer address,
 *                       r4 = length; result: bytes written, or -1 for a bad
 *                       fd or a buffer outside guest memory.
 *   function 2, exit:   r2 = status (low 8 bits); does not return.
 */
#ifndef UCAS_GUEST_H
#define UCAS_GUEST_H

#define UCAS_HC_WRITE 1
#define UCAS_HC_EXIT 2

long ucas_guest_write(int fd, const void *buf, unsigned long len);
void ucas_guest_exit(int status) __attribute__((noreturn));

#endif
