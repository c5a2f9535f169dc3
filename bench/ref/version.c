/* Prints the version of the libbpf this is linked with (libbpf_version_string), for labels. */
#include <bpf/libbpf.h>
#include <stdio.h>

int main(void)
{
	printf("%s\n", libbpf_version_string());
	return 0;
}
