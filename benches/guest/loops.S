/*
 * The guest loops the `guest` benchmark times, in the interpreter and as a
 * user-mode s390x process under qemu-s390x-static. Each is a function
 * `void loop(long n, uint64_t *scratch)` (r2 = n, r3 = a 64 KiB scratch
 * area) that returns with `br %r14`; every instruction is problem-state, so
 * both run the very same bytes.
 */
	.text
	.globl reg_loop, mem_loop, branch_loop, loops_end

/* Registers only: 5 instructions per iteration. */
reg_loop:
	lghi	%r0,0
	lghi	%r1,1
0:	agr	%r0,%r1
	xgr	%r1,%r0
	rllg	%r1,%r1,7
	aghi	%r1,3
	brctg	%r2,0b
	br	%r14

/* Load, add, store over all of the 64 KiB, n passes: 5 instructions per
 * doubleword. */
mem_loop:
1:	lgr	%r4,%r3
	lghi	%r5,8192
0:	lg	%r0,0(%r4)
	aghi	%r0,1
	stg	%r0,0(%r4)
	la	%r4,8(%r4)
	brctg	%r5,0b
	brctg	%r2,1b
	br	%r14

/* Data-dependent branches: Collatz steps from 27, restarted at 1. */
branch_loop:
	lghi	%r0,27
0:	tmll	%r0,1
	jz	1f
	lgr	%r1,%r0
	sllg	%r0,%r0,1
	agr	%r0,%r1
	aghi	%r0,1
	j	2f
1:	srlg	%r0,%r0,1
2:	cghi	%r0,1
	jh	3f
	lghi	%r0,27
3:	brctg	%r2,0b
	br	%r14
loops_end:

	.section .note.GNU-stack,"",@progbits
