#ifndef CPKCS11_H
#define CPKCS11_H

/// The part of the PKCS#11 v2.40 ABI Warden calls, written from the OASIS specification.
/// Nothing here is linked: Warden loads a module with dlopen and reads its function list, so
/// the static binary needs no PKCS#11 library unless a `pkcs11:` key is used.
///
/// On Unix the specification's structures are not packed, and CK_ULONG is `unsigned long`.

typedef unsigned long warden_ck_ulong;
typedef unsigned char warden_ck_byte;

typedef struct {
    warden_ck_byte major;
    warden_ck_byte minor;
} warden_ck_version;

typedef struct {
    warden_ck_ulong type;
    void *value;
    warden_ck_ulong value_length;
} warden_ck_attribute;

typedef struct {
    warden_ck_ulong mechanism;
    void *parameter;
    warden_ck_ulong parameter_length;
} warden_ck_mechanism;

/// CK_RSA_PKCS_PSS_PARAMS: the hash, the mask generation function and the salt length.
typedef struct {
    warden_ck_ulong hash;
    warden_ck_ulong mgf;
    warden_ck_ulong salt_length;
} warden_ck_rsa_pss_params;

/// CK_C_INITIALIZE_ARGS: no mutex callbacks, CKF_OS_LOCKING_OK in flags.
typedef struct {
    void *create_mutex;
    void *destroy_mutex;
    void *lock_mutex;
    void *unlock_mutex;
    warden_ck_ulong flags;
    void *reserved;
} warden_ck_initialize_args;

/// CK_TOKEN_INFO, of which Warden reads the label, manufacturer, model and serial number.
typedef struct {
    warden_ck_byte label[32];
    warden_ck_byte manufacturer_id[32];
    warden_ck_byte model[16];
    warden_ck_byte serial_number[16];
    warden_ck_ulong flags;
    warden_ck_ulong max_session_count;
    warden_ck_ulong session_count;
    warden_ck_ulong max_rw_session_count;
    warden_ck_ulong rw_session_count;
    warden_ck_ulong max_pin_length;
    warden_ck_ulong min_pin_length;
    warden_ck_ulong total_public_memory;
    warden_ck_ulong free_public_memory;
    warden_ck_ulong total_private_memory;
    warden_ck_ulong free_private_memory;
    warden_ck_version hardware_version;
    warden_ck_version firmware_version;
    warden_ck_byte utc_time[16];
} warden_ck_token_info;

typedef warden_ck_ulong warden_ck_rv;
typedef warden_ck_rv (*warden_ck_unused)(void);

/// CK_FUNCTION_LIST in the specification's order: the offsets are the ABI. Entries Warden
/// does not call keep their place with an opaque type.
typedef struct {
    warden_ck_version version;
    warden_ck_rv (*C_Initialize)(void *args);
    warden_ck_rv (*C_Finalize)(void *reserved);
    warden_ck_unused C_GetInfo;
    warden_ck_unused C_GetFunctionList;
    warden_ck_rv (*C_GetSlotList)(warden_ck_byte token_present, warden_ck_ulong *slots, warden_ck_ulong *count);
    warden_ck_unused C_GetSlotInfo;
    warden_ck_rv (*C_GetTokenInfo)(warden_ck_ulong slot, warden_ck_token_info *info);
    warden_ck_unused C_GetMechanismList;
    warden_ck_unused C_GetMechanismInfo;
    warden_ck_unused C_InitToken;
    warden_ck_unused C_InitPIN;
    warden_ck_unused C_SetPIN;
    warden_ck_rv (*C_OpenSession)(warden_ck_ulong slot, warden_ck_ulong flags, void *application, void *notify,
                                  warden_ck_ulong *session);
    warden_ck_rv (*C_CloseSession)(warden_ck_ulong session);
    warden_ck_unused C_CloseAllSessions;
    warden_ck_unused C_GetSessionInfo;
    warden_ck_unused C_GetOperationState;
    warden_ck_unused C_SetOperationState;
    warden_ck_rv (*C_Login)(warden_ck_ulong session, warden_ck_ulong user_type, warden_ck_byte *pin,
                            warden_ck_ulong pin_length);
    warden_ck_rv (*C_Logout)(warden_ck_ulong session);
    warden_ck_unused C_CreateObject;
    warden_ck_unused C_CopyObject;
    warden_ck_unused C_DestroyObject;
    warden_ck_unused C_GetObjectSize;
    warden_ck_rv (*C_GetAttributeValue)(warden_ck_ulong session, warden_ck_ulong object,
                                        warden_ck_attribute *attributes, warden_ck_ulong count);
    warden_ck_unused C_SetAttributeValue;
    warden_ck_rv (*C_FindObjectsInit)(warden_ck_ulong session, warden_ck_attribute *attributes,
                                      warden_ck_ulong count);
    warden_ck_rv (*C_FindObjects)(warden_ck_ulong session, warden_ck_ulong *objects, warden_ck_ulong max_count,
                                  warden_ck_ulong *count);
    warden_ck_rv (*C_FindObjectsFinal)(warden_ck_ulong session);
    warden_ck_unused C_EncryptInit;
    warden_ck_unused C_Encrypt;
    warden_ck_unused C_EncryptUpdate;
    warden_ck_unused C_EncryptFinal;
    warden_ck_unused C_DecryptInit;
    warden_ck_unused C_Decrypt;
    warden_ck_unused C_DecryptUpdate;
    warden_ck_unused C_DecryptFinal;
    warden_ck_unused C_DigestInit;
    warden_ck_unused C_Digest;
    warden_ck_unused C_DigestUpdate;
    warden_ck_unused C_DigestKey;
    warden_ck_unused C_DigestFinal;
    warden_ck_rv (*C_SignInit)(warden_ck_ulong session, warden_ck_mechanism *mechanism, warden_ck_ulong key);
    warden_ck_rv (*C_Sign)(warden_ck_ulong session, warden_ck_byte *data, warden_ck_ulong data_length,
                           warden_ck_byte *signature, warden_ck_ulong *signature_length);
    // The remaining 24 entries (C_SignUpdate … C_WaitForSlotEvent) are never read.
} warden_ck_function_list;

typedef warden_ck_rv (*warden_ck_get_function_list)(warden_ck_function_list **list);

#endif
