/*
 * Definitions of <linux/kvm.h> newer than the build host's headers, in the
 * programs' own names (so that a newer header does not clash): the second
 * memory-region form, memory attributes and guest_memfd (Linux 6.8) and the
 * storage-key operation (7.0).
 */
#ifndef UCAS_TEST_NEWER_UAPI_H
#define UCAS_TEST_NEWER_UAPI_H

#include <linux/kvm.h>
#include <stdint.h>

#define CAP_USER_MEMORY2 231
#define CAP_S390_KEYOP 247

struct region2 {
	uint32_t slot;
	uint32_t flags;
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t guest_memfd_offset;
	uint32_t guest_memfd;
	uint32_t pad1;
	uint64_t pad2[14];
};
#define SET_USER_MEMORY_REGION2 _IOW(KVMIO, 0x49, struct region2)

struct memory_attributes {
	uint64_t address;
	uint64_t size;
	uint64_t attributes;
	uint64_t flags;
};
#define SET_MEMORY_ATTRIBUTES _IOW(KVMIO, 0xd2, struct memory_attributes)

struct create_guest_memfd {
	uint64_t size;
	uint64_t flags;
	uint64_t reserved[6];
};
#define CREATE_GUEST_MEMFD _IOWR(KVMIO, 0xd4, struct create_guest_memfd)

struct keyop {
	uint64_t guest_addr;
	uint8_t key;
	uint8_t operation;
	uint8_t pad[6];
};
#define S390_KEYOP _IOWR(KVMIO, 0x53, struct keyop)
#define KEYOP_ISKE 0x01
#define KEYOP_RRBE 0x02
#define KEYOP_SSKE 0x03

#endif
